"""English dates and times as a European console writes them: times on the 24-hour clock ("20:30"), never
Django's "8:30 p.m.", whose final period doubled the one of every sentence ending with a time. Other formats are
Django's."""

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "N j, Y, H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
