"""Writers: the rendered book to files. ``pdf`` uses WeasyPrint, ``epub`` ebooklib."""
