# Español: 9 de diciembre de 2026; 9 de diciembre de 2026 a las 14:05 CET (Django's Spanish
# order and month names, and the zone, as in English). "87,5 %": a no-break space before the sign
# (Real Academia Española).
DATE_FORMAT = r"j \d\e F \d\e Y"
DATETIME_FORMAT = r"j \d\e F \d\e Y \a \l\a\s H:i T"
TIME_FORMAT = "H:i"
PERCENT_FORMAT = "{number}\u00a0%"
