"""Program loading: ELF parsing and validation, image building, the initial stack and auxv."""
