"""English times as "8:30 PM": Django's "8:30 p.m." ends in a period, so a sentence ending with a time ("This
invitation expires on Nov. 10, 2026, 8:30 p.m..") doubles it. Every other format is Django's."""

TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "N j, Y, g:i A"
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"
