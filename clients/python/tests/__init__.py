# Tests of airlock_client. Run from clients/python with
#   /usr/bin/python3 -m unittest discover -s tests -t .
# The server-backed tests need AIRLOCK_URL and AIRLOCK_TOKEN (the Go test
# internal/clienttest starts a server and sets them; `make test` runs it).
