"""Filesystem change notification (Linux's fs/notify/): fsnotify, the hooks the VFS calls, and inotify, the
interface built on them."""
