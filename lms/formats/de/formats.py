# Deutsch: 9. Dezember 2026; 9. Dezember 2026 14:05 MEZ/CET (Django's German order and month
# names, and the zone, as in English). "87,5 %": a no-break space before the sign (DIN 5008).
DATE_FORMAT = "j. F Y"
DATETIME_FORMAT = "j. F Y H:i T"
TIME_FORMAT = "H:i"
PERCENT_FORMAT = "{number}\u00a0%"
