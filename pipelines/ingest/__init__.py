"""Importers: one module per source. Each turns files into an :class:`ImportBatch`
(people seen in the source and their interactions); ``recommender.store.importer`` applies a
batch to the store in one transaction."""
