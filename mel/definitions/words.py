"""The project's own words, as users write them in targets and narratives and read them in every
output: the all-countries country, the life-of-project period, the total and Unknown categories.
Declared once here (the lowest floor that uses them); :mod:`mel.engine.results` re-exports them."""

ALL = "ALL"  # the country of the all-countries cells and targets
LOP = "LoP"  # the period of the life of project
TOTAL = ""  # the disaggregation (and category) of an indicator's total
UNKNOWN = "Unknown"  # the category of records with no value in the disaggregation's column
