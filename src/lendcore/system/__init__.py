"""The server itself: health, the business date, serving the API."""
