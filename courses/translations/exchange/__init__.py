"""A course's texts for translators, and their work back: XLIFF 1.2 and CSV.

One module per step: ``texts`` (what there is to translate, and its state), ``xliff`` and
``tabular`` (each format written and read), ``importing`` (the checks and the one transaction).
Import from the module, e.g. ``from courses.translations.exchange.importing import translations_import``.

Export (``export_xliff``, ``export_csv``) writes every translatable text of a course for one
language: its id ``kind:object_id:field``, a label for people, the SHA-256 digest of the main text
as it is now, the main text, and the current translation if there is one.

Import (``translations_import``) takes either format back and guarantees:

- nothing is written unless the whole file is valid: every problem is listed, each naming its
  unit id (XLIFF) or line (CSV), and the writes happen in one transaction;
- a text whose main text changed since the file was exported (the file's digest is not the
  digest of the current main text) refuses THE WHOLE FILE, listing the changed texts: a
  translator's stale file never overwrites newer work, and a translation is never recorded as
  translating a text its translator did not see;
- ids of another course, unknown ids, another target language and malformed files are refused
  likewise; an empty target is skipped (it is not a deletion);
- the XML is read with defusedxml, DTDs and entities refused (no XXE, no billion laughs), and a
  file larger than ``settings.UPLOAD_MAX_BYTES`` is refused before it is parsed;
- importing the same file twice changes nothing the second time (each translation is compared
  with what is stored, text and digest), and the summary says so.

CSV cells a spreadsheet would run as a formula (starting with = + - @ tab or CR) are written with
a leading apostrophe, as the project's other exports do; a cell that starts with an apostrophe
gets one more, so that import can take exactly one off and every text round-trips.
"""
