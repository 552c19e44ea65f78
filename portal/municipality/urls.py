app_name = "municipality"
urlpatterns = []
