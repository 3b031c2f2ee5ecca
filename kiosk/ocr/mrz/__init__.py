"""Machine-readable zones: finding (`locate`), reading (`read`, `rows`), ICAO 9303 parsing and
check digits (`parse`, `icao`, `correct`), and agreement over several frames (`consensus`)."""
