"""The block layer: block devices (disk images, loop devices), their buffer cache, and the device registry.

- `device.py`: `BlockDevice` (Linux's struct block_device + gendisk: a size in 512-byte sectors, read-only or
  not) and its `BufferCache` (the block device's page cache: every read and write of a device -- a filesystem's
  metadata, data, or a program that opened /dev/vda -- goes through the same cached pages, so they are coherent).
  `ImageDevice` is a disk backed by a host image file (virtio-blk's place).
- `genhd.py`: the registry of block devices by device number, /dev nodes, /sys/block and /proc/partitions.
- `fops.py`: an open block device (read/write/lseek/fsync and the BLK* ioctls), Linux's block/fops.c.
- `loop.py`: loop devices over a guest file and /dev/loop-control (drivers/block/loop.c).
"""
