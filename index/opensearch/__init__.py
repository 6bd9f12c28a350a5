"""The ``opensearch`` engine: the archive's passages in an OpenSearch cluster, behind ``index.api``.

One document per passage. The folded text goes into a field whose tokenizer
emits every character (``ngram``, min = max = 1, no ``token_chars``), so
``match_phrase`` is exact, punctuation and digits included; jieba's
search-mode words, made in Python exactly as the local engine makes them,
go into a whitespace-analysed field scored with BM25. The query tree is
translated whole (``translate``); facets and report counts are
aggregations; hits carry the readable text, marked by ``index.highlight``
as the local engine marks it. ``cluster`` holds the connection and the
versioned mapping, ``feed`` keeps the index in step with the archive
(``ClusterIndex``), ``follow`` sends again the documents whose copied values
changed in place (reuse found later, corrected reports), ``searcher``
answers queries (``ClusterSearcher``).
"""
