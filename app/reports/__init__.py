"""Results after the event, without HTTP: the result set of an event (resultset), the comparison across a
series (compare), the numbers in German (formatting), the method note (method) and the SVG charts (charts)
that the results pages, the exports and the Kreistag report share."""
