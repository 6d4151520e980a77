"""Tasks (threads) and thread groups (processes), after Linux's task_struct / signal_struct split."""
