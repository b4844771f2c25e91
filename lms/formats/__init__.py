"""The project's date formats, one per language (``FORMAT_MODULE_PATH``): every date and time a
person reads (pages, emails, PDFs, the human text of exports and case files) is shown in its
language's ``DATE_FORMAT`` / ``DATETIME_FORMAT`` through the ``day`` filter, ``|date`` without
an argument, or ``lms.dates.day_text`` / ``moment_text``. Machine formats (CSV and JSON cells,
date inputs, ``<time datetime>``) stay ISO 8601. lms/tests/test_formats.py keeps it so."""
