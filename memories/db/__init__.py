"""Database engines tuned for the delete path; set one as a DATABASES ENGINE."""
