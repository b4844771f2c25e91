# Français : 9 décembre 2026 ; 9 décembre 2026 14:05 CET (Django's French order and month names,
# and the zone, as in English: people read times from other zones). "87,5 %": a no-break space
# before the sign (lms.scores.percent_text).
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y H:i T"
TIME_FORMAT = "H:i"
PERCENT_FORMAT = "{number}\u00a0%"
