"""Machine-readable zones: finding (`locate`), reading (`read`, `cells`), ICAO 9303 parsing and
check digits (`parse`, `icao`, `correct`), and agreement over several frames (`consensus`)."""
