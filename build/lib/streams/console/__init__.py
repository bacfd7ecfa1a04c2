"""The retention console: the web pages where the retention team works its alerts, live.

index      what the console knows: the alert book and risk history, built from the topics
feed       a thread that reads ``churn-alerts`` and ``customer-risk`` into the index
marks      the team's marks on alerts, in Redis (the only thing the console writes)
auth       the token every page and the live stream require
app        the FastAPI application: pages, fragments, the event stream, the mark endpoint
pages      what each page shows, gathered from the index, Redis and model snapshots
charts     series for the vendored uPlot charts
server     `churnwatch console`: bind, refuse an open bind without a token, serve
"""
