"""Borrowed views of a numba struct: kernel calls without atomic reference counts.

Every StructRef passed to a non-inlined numba function, and every array read from
one, costs two atomic reference-count updates, and the kernel calls about 20
functions per event (docs/performance.md has the cost). A chunk's tables ``T``
and household ``H`` outlive the whole
:func:`~scorelab.engine._kernel.run_chunk` call, so inside it nothing needs
counting: :func:`borrow` copies a struct's fields onto the caller's stack, with
its arrays marked as not owned (no meminfo: numba's ``NRT_incref`` returns at
once on those), and hands out a plain pointer, which numba never counts. Kernel
functions are generic, so they compile for the borrowed type unchanged.

Rules: call :func:`borrow` only in the function that owns the struct for the
whole call (the copy lives in its stack frame), and call :func:`give_back` before
that function returns: fields the kernel replaced (a grown buffer, a scalar) are
written back into the struct, which takes over their references. A field
replaced by another unowned view is not written back. If the function raises
before giving back, the buffers it grew are leaked (the kernel raises only on
malformed input, which ends the run).
"""

from __future__ import annotations

from numba.core import cgutils, types
from numba.core.datamodel import models
from numba.core.imputils import impl_ret_borrowed
from numba.core.typing.templates import AttributeTemplate
from numba.experimental import structref
from numba.extending import (
    infer_getattr,
    intrinsic,
    lower_getattr_generic,
    lower_setattr_generic,
    register_model,
)


class Borrowed(types.Type):
    """A pointer to a stack copy of a StructRef's fields (see the module docstring)."""

    def __init__(self, struct_type: types.StructRef):
        self.struct_type = struct_type
        self.dtype = struct_type.get_data_type()  # what the pointer points at
        super().__init__(name=f"Borrowed[{struct_type}]")

    @property
    def field_dict(self):
        return self.struct_type.field_dict


@register_model(Borrowed)
class _BorrowedModel(models.PrimitiveModel):
    """A pointer to the payload laid out as StructRef lays it out (value types, bools as i1)."""

    def __init__(self, dmm, fe_type):
        payload = dmm.lookup(fe_type.dtype).get_value_type()
        super().__init__(dmm, fe_type, payload.as_pointer())


@infer_getattr
class _BorrowedAttribute(AttributeTemplate):
    key = Borrowed

    def generic_resolve(self, typ, attr):
        return typ.field_dict.get(attr)


def _fields(context, builder, payload_type, pointer):
    """Getters and setters of the struct payload at ``pointer``."""
    return cgutils.create_struct_proxy(payload_type)(context, builder, ref=pointer)


def _disowned(context, builder, array_type, value):
    """The same array without its meminfo (and parent): numba then counts nothing."""
    array = context.make_array(array_type)(context, builder, value=value)
    array.meminfo = cgutils.get_null_value(array.meminfo.type)
    array.parent = cgutils.get_null_value(array.parent.type)
    return array._getvalue()


@lower_getattr_generic(Borrowed)
def _getattr(context, builder, typ, value, attr):
    field = getattr(_fields(context, builder, typ.dtype, value), attr)
    return impl_ret_borrowed(context, builder, typ.field_dict[attr], field)


@lower_setattr_generic(Borrowed)
def _setattr(context, builder, sig, args, attr):
    typ, value_type = sig.args
    pointer, value = args
    fields = _fields(context, builder, typ.dtype, pointer)
    value = context.cast(builder, value, value_type, typ.field_dict[attr])
    old = getattr(fields, attr)
    context.nrt.incref(builder, value_type, value)
    context.nrt.decref(builder, value_type, old)  # last: the new value may be the old one
    setattr(fields, attr, value)


@intrinsic
def borrow(typingctx, struct_type):
    """A :class:`Borrowed` copy of ``struct_type``'s fields, on the caller's stack."""
    if not isinstance(struct_type, types.StructRef):
        return None

    def codegen(context, builder, signature, args):
        source = structref._Utils(context, builder, struct_type).get_data_struct(args[0])
        payload = struct_type.get_data_type()
        pointer = cgutils.alloca_once(builder, context.get_value_type(payload))
        copy = _fields(context, builder, payload, pointer)
        for name, typ in struct_type.field_dict.items():
            value = getattr(source, name)
            if isinstance(typ, types.Array):
                value = _disowned(context, builder, typ, value)
            else:
                context.nrt.incref(builder, typ, value)
            setattr(copy, name, value)
        return pointer

    return Borrowed(struct_type)(struct_type), codegen


@intrinsic
def give_back(typingctx, struct_type, borrowed_type):
    """Write the fields the kernel replaced back into the struct (see the module docstring)."""
    if not isinstance(borrowed_type, Borrowed) or borrowed_type.struct_type != struct_type:
        return None

    def codegen(context, builder, signature, args):
        target = structref._Utils(context, builder, struct_type).get_data_struct(args[0])
        copy = _fields(context, builder, borrowed_type.dtype, args[1])
        for name, typ in struct_type.field_dict.items():
            value = getattr(copy, name)
            if isinstance(typ, types.Array):
                meminfo = context.make_array(typ)(context, builder, value=value).meminfo
                with builder.if_then(cgutils.is_not_null(builder, meminfo)):
                    context.nrt.decref(builder, typ, getattr(target, name))
                    setattr(target, name, value)  # the struct takes over the copy's reference
            else:
                context.nrt.decref(builder, typ, getattr(target, name))
                setattr(target, name, value)
        return context.get_dummy_value()

    return types.none(struct_type, borrowed_type), codegen


@intrinsic
def unowned(typingctx, array_type):
    """A view of an array that numba does not count (no meminfo).

    Valid only while something else owns the array: an argument of the calling
    function, or a local kept alive with :func:`keep_alive` to the end.
    """
    if not isinstance(array_type, types.Array):
        return None

    def codegen(context, builder, signature, args):
        return _disowned(context, builder, array_type, args[0])

    return array_type(array_type), codegen


@intrinsic
def keep_alive(typingctx, owners_type):
    """Use ``owners`` here, so numba releases them no earlier (see :func:`unowned`)."""

    def codegen(context, builder, signature, args):
        return context.get_dummy_value()

    return types.none(owners_type), codegen
