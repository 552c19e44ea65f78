app_name = "duo"
urlpatterns = []
