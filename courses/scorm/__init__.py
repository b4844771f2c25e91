"""SCORM packages (1.2 and 2004): import of a zip into a course or a module of one (issue 15).

The player, its run-time API and the view that serves package files live elsewhere
(``assignments.scorm_runtime``); this app stores the packages and what their manifests say.
"""
