from annotations.roles import is_editor, is_standards


def roles(request) -> dict:
    user = getattr(request, "user", None)
    return {"is_editor": is_editor(user), "is_standards": is_standards(user)}
