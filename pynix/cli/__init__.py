"""Command-line front ends: argument parsing, the host terminal, output."""
