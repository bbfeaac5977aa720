"""Server-rendered pages of the green-channel layer, split by audience: the public catalogue,
the talent's requests, the department's desk (staff and leads) and the organization
department's list of all requests. Every page is a thin caller of the domain functions in
services.filing, workflow, feedback and conversation."""
