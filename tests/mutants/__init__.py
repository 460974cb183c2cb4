"""Deliberately broken adapters: stdlib with one injected bug each.

Meta-tests run the suite against them to prove each property can fail; they ship with the
package because spawn children must import them by name, and so that backend authors can see
what each property catches.
"""
