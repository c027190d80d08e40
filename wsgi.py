"""WSGI entry point: `gunicorn wsgi:app`."""

from commentsvc import create_app

app = create_app()
