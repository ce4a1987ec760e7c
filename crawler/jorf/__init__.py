"""The Journal officiel (JORF) formats, as plain functions: no Scrapy here, so each is tested on files.

DILA publishes the JO as open data, no key needed: ``OPENDATA/JORFSIMPLE/`` is a
plain Apache index of ``JORFSIMPLE_YYYYMMDD-HHMMSS.tar.gz`` archives, two a day
(the issue around 00:30, maintenance re-sends around 21:00). Their names cannot
be predicted, so the index is always listed; name order is delivery order.

Inside an archive, under a wrapper folder named after its timestamp, each issue
has a folder ``jorf/simple/JORF/CONT/…/JORFCONT…/`` holding its table of contents
(``JORFCONT….xml``: ``<JO>``, nested ``<TM niv><TITRE_TM>`` headings, and
``<LIEN_TXT idtxt titretxt>``) and one self-contained ``JORFTEXT….xml``
(``<TEXTE>``) per text.

Vacancy notices are the texts listed under "Avis de concours et de vacance
d'emplois" (level 3; the level-4 heading is the ministry) whose title announces
a vacancy or a recruitment; exam notices only when ``include_concours`` is set.
An issue without that heading falls back on ``NATURE=AVIS`` and an "Avis de
vacance/recrutement…" title. A notice's source_id is its JORFTEXT id: the
evening archives re-send old texts, and a re-sent unchanged text is not new.

Optional PISTE mode (Légifrance API), only when client credentials are
configured: OAuth client credentials, then ``consult/lastNJo`` →
``consult/jorfCont`` → ``consult/jorf``, with the same notices out.

The modules, from the outside in (``spiders/jorf.py`` issues the requests and
yields the items):

- ``index``: DILA's directory listing: which links are JORFSIMPLE archives, and their dates.
- ``archive``: a JORFSIMPLE tar.gz read in one streaming pass into its vacancy notices
  (``BadArchive`` when it cannot be read).
- ``piste``: the PISTE client's plain parts: the token form and its lifetime, the API's
  paths and JSON bodies, the issues a ``consult/lastNJo`` answer lists, its dates.
- ``toc``: tables of contents (a ``JORFCONT`` XML or a PISTE ``jorfCont`` answer) as an
  ``Issue`` of ``TocEntry``, and which entries are vacancy notices.
- ``texts``: a text (a ``JORFTEXT`` XML or a PISTE ``consult/jorf`` answer) as a ``Notice``.
- ``notice``: a ``Notice`` as an offer: post, employer, place, dates, deadline, contacts.
- ``superseding``: what a notice says of an earlier one it cancels or replaces, which stored
  offer that is, and recording the link (``storage.superseded``).
- ``batch``: an archive or issue being read, until the ledger (``storage.archives``) is told of it.
"""
