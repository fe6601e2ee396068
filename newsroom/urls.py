from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

# Only the account views the app uses: log in, log out, change the password. No password reset:
# it would be the app's only outbound connection (mail to an SMTP server); an administrator sets a
# new password in the admin instead.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("", include("annotations.urls")),
]

# errors that must render with no database (a 503 when it cannot be reached): annotations/views/errors.py
handler500 = "annotations.views.errors.server_error"
