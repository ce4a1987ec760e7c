"""The web pages job seekers use: offers, subscribing, managing and leaving an alert, feeds.

Above crawler/ (it reads the configuration) and below cli/ (``veille web`` serves it); beside
the spiders, which it never imports.
"""
