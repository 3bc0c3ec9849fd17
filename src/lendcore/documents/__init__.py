"""A loan's contract (借款合同) and key-facts sheet (关键信息摘要), in HTML and PDF.

See ``docs/documents.md``: what the documents say, how their text is versioned, who reads them.
"""
