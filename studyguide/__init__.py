"""The study-guide builder: Markdown and YAML content in, a print PDF and an EPUB 3 out.

Stages, one module each (follow a chapter from ``content/`` to ``output/``):

``loader``      reads ``book.yaml`` and the content files into the model
``readers``     reads chapters (front matter + Markdown) and data files
``model``       the ``Book`` document model both writers read
``citations``   resolves Pandoc-style citations through a CSL processor
``markdown``    turns chapter Markdown into HTML fragments
``resolve``     numbers, cross-references, glossary links and the index
``figures``     SVG figures generated from the book's data
``theme``       the Jinja2 environment over ``templates/`` and ``styles/``
``writers``     ``pdf`` (WeasyPrint) and ``epub`` (ebooklib)
``builder``     runs the stages, caches, writes outputs atomically
``cli``         the ``studyguide`` command and ``build.py``
``paths``       the templates, styles and starter book, as package data
"""

__version__ = "0.1.0"
