"""A URL pattern's view imported on its first request, not when the URL configuration loads.

The URL checks of every management command, and a Lambda's cold start, load the whole URL
configuration: a view module that pulls a heavy library (drf-spectacular's schema generator, say)
costs every start, though few requests ever reach it.
"""

from django.utils.module_loading import import_string


def lazy_view(dotted_path: str, **initkwargs):
    """A view function that imports the class-based view `dotted_path` and calls `as_view(**initkwargs)` once."""
    view = None

    def dispatch(request, *args, **kwargs):
        nonlocal view
        if view is None:
            view = import_string(dotted_path).as_view(**initkwargs)
        return view(request, *args, **kwargs)

    dispatch.csrf_exempt = True  # as DRF's views are: they authenticate each request themselves
    dispatch.lazy_view_path = dotted_path
    return dispatch
