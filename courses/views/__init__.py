"""One module per area; import from the module, e.g. `from courses.services.packages import course_import`."""
