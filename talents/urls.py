from django.urls import path

from talents.views import liaison, portrait, talent

app_name = "talents"

urlpatterns = [
    # The talent: 人才信息 and 我的联系服务.
    path("talents/profile/", talent.my_profile, name="my-profile"),
    path("talents/liaison/", talent.my_liaison, name="my-liaison"),
    path("talents/concerns/<int:pk>/confirm/", talent.concern_confirm, name="concern-confirm"),
    path("talents/concerns/<int:pk>/decline/", talent.concern_decline, name="concern-decline"),
    # Officers and the organization department: 联系服务.
    path("talents/liaisons/", liaison.liaison_list, name="liaisons"),
    path("talents/liaisons/<str:number>/", liaison.liaison_detail, name="liaison"),
    path("talents/liaisons/<str:number>/assign/", liaison.liaison_assign, name="liaison-assign"),
    path("talents/liaisons/<str:number>/visit/", liaison.visit_new, name="visit-new"),
    path("talents/concerns/<int:pk>/resolve/", liaison.concern_resolve, name="concern-resolve"),
    path("talents/coverage/", liaison.coverage_page, name="coverage"),
    # The organization department: 人才画像.
    path("talents/portrait/", portrait.portrait, name="portrait"),
    path("talents/portrait/export/", portrait.portrait_export, name="portrait-export"),
    path("talents/registry/", portrait.registry, name="registry"),
]
