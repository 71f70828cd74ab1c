"""Microsoft Graph access: ``client`` (HTTP with retries, paging, batch), ``errors`` (typed Graph
errors with plain-language explanations) and ``api`` (one typed call per endpoint Federator uses).

Importing this package is cheap: ``requests`` is loaded on the first request.
"""
