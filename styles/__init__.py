"""The built-in stylesheets and CSL styles, shipped as package data (``studyguide.styles``)."""
