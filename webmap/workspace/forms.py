"""The sign-in form (Flask-WTF: fields, length limits, CSRF token).

The venue forms are plain HTML forms carrying the CSRF token: their values are checked by
``webmap.workspace.edits`` with the layer rules, the same for forms and JSON.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from webmap.workspace.auth import MAX_NAME


class LoginForm(FlaskForm):
    name = StringField(validators=[DataRequired(), Length(max=MAX_NAME)])
    password = PasswordField(validators=[DataRequired(), Length(max=1024)])
