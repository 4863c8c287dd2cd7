"""Take a run away (SPEC section 9): a notebook that rebuilds it with TensorFlow, one HTML file
that plays it offline, and a CSV of every number. Each is written from a run result that
``app.service.RunService`` gives, never from a run of its own."""
