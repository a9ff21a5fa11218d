"""The Metal Fests Django project: settings, root URLs and the WSGI entry point."""
