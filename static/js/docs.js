// Starts Swagger UI on /docs (a file, not an inline script, so the page's CSP forbids inline scripts).
window.ui = window.SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  layout: 'BaseLayout',
  deepLinking: true,
  presets: [window.SwaggerUIBundle.presets.apis],
});
