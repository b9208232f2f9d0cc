"""The web console: server-rendered pages for admins, organizers, coordinators and staff."""
