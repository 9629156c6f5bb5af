"""The pigment stock (products and lots), at the bottom of the domain: a patch test
(clients) and a session record (treatments) both put lots on skin. Set-up's pigment
pages and the lot recall live in treatments, above."""
