"""Weather stations: who may post, with which key, and what each field means."""
