"""The built-in theme's templates, shipped as package data (``studyguide.templates``)."""
