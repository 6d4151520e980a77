"""Inter-process communication: System V shared memory, semaphores and message queues (Linux's ipc/), one
namespace per machine (`IpcNamespace`, Linux's struct ipc_namespace)."""
