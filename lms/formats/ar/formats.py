# العربية: 9 ديسمبر، 2026؛ 9 ديسمبر، 2026، 2:05 م GST (Django's Arabic date order and month names,
# its 12-hour time, and the zone, as in English). "87,5%": the sign straight after the number,
# which the bidirectional algorithm keeps with it in right-to-left text.
DATE_FORMAT = "j F، Y"
DATETIME_FORMAT = "j F، Y، g:i A T"
TIME_FORMAT = "g:i A"
PERCENT_FORMAT = "{number}%"
