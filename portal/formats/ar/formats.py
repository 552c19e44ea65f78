# 24-hour times ("14:00"), as in Dutch and English, not "2:00 م"; dates written out.
DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y H:i"
SHORT_DATETIME_FORMAT = "j-n-Y H:i"
