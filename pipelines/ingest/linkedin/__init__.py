"""LinkedIn data exports: opening the export, its files, its messages."""
