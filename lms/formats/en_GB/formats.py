# English (UK): 9 Dec 2026; 9 Dec 2026, 14:05 GMT (the zone: people read times from other zones).
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i T"
TIME_FORMAT = "H:i"
# "79.59%": the sign straight after the number (lms.scores.percent_text).
PERCENT_FORMAT = "{number}%"
