"""Files: open file descriptions, descriptor tables (the VFS proper grows here)."""
